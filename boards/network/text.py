"""Names and one-sentence explanations of the network figures, in plain French.

The readers are facilitators and the workshop's participants, not network
scientists: each sentence says what the number tells about cooperation on the
territory, without jargon. Keys match the keys of ``analyse()``'s output so a
page can put the sentence right beside the figure.
"""

from ..i18n import N_

# Whole-network figures, in the order a report lists them.
NETWORK_LABELS = {
    "actors": N_("Acteurs"),
    "ties": N_("Liens déclarés"),
    "linked_pairs": N_("Paires d'acteurs reliées"),
    "density": N_("Densité"),
    "components": N_("Morceaux du réseau"),
    "largest_component": N_("Taille du plus grand morceau"),
    "isolated_count": N_("Acteurs isolés"),
    "average_degree": N_("Partenaires par acteur (moyenne)"),
    "degree_centralization": N_("Centralisation"),
    "reciprocity": N_("Réciprocité"),
    "cross_type_share": N_("Liens entre types d'acteurs différents"),
    "average_trust": N_("Confiance moyenne"),
    "average_value": N_("Valeur moyenne"),
    "rated_ties": N_("Liens évalués"),
}
NETWORK_LABELS.update({
    "modularity": N_("Modularité des groupes"),
    "transitivity": N_("Triangles (transitivité)"),
    "average_path_length": N_("Distance moyenne dans le plus grand morceau"),
    "diameter": N_("Diamètre du plus grand morceau"),
    "ei_index": N_("Indice E-I (ouverture entre types)"),
    "trust_score": N_("Score de confiance du réseau"),
    "value_score": N_("Score de valeur du réseau"),
})

ACTOR_LABELS = {
    "degree": N_("Partenaires"),
    "in_degree": N_("Liens reçus"),
    "out_degree": N_("Liens donnés"),
    "strength": N_("Intensité"),
    "betweenness": N_("Intermédiarité"),
    "closeness": N_("Proximité"),
    "eigenvector": N_("Influence"),
    "core": N_("Noyau"),
    "community": N_("Groupe"),
}
ACTOR_LABELS.update({
    "constraint": N_("Contrainte (Burt)"),
    "trust": N_("Confiance reçue"),
    "value": N_("Valeur reçue"),
})

EXPLANATIONS = {
    "actors": N_("Nombre d'organisations placées sur la carte."),
    "ties": N_("Nombre de coopérations déclarées ; deux acteurs peuvent être reliés par "
               "plusieurs liens de natures différentes."),
    "linked_pairs": N_("Nombre de couples d'acteurs qui coopèrent d'une façon ou d'une autre, "
                       "quel que soit le nombre de liens entre eux."),
    "density": N_("Part des coopérations possibles entre tous les acteurs qui existent "
                  "vraiment : 0 % si personne ne travaille ensemble, 100 % si chacun "
                  "travaille avec tous les autres."),
    "components": N_("Nombre de morceaux séparés : à l'intérieur d'un morceau, on peut aller "
                     "de n'importe quel acteur à n'importe quel autre en suivant des liens ; "
                     "un acteur isolé compte pour un morceau."),
    "largest_component": N_("Nombre d'acteurs dans le plus grand ensemble reliés entre eux, "
                            "directement ou par des intermédiaires."),
    "isolated_count": N_("Acteurs présents sur la carte mais sans aucune coopération "
                         "déclarée."),
    "average_degree": N_("Nombre moyen d'acteurs différents avec qui chaque acteur coopère."),
    "degree_centralization": N_("Dit si les coopérations passent toutes par un acteur "
                                "central (proche de 100 %, comme une étoile) ou sont "
                                "réparties entre tous (proche de 0 %)."),
    "reciprocity": N_("Part des liens à sens unique qui sont rendus dans l'autre sens ; les "
                      "liens dessinés dans les deux sens comptent comme réciproques."),
    "cross_type_share": N_("Part des liens qui relient deux acteurs de types différents, par "
                           "exemple une association et un service public : plus elle est "
                           "haute, moins le réseau est cloisonné."),
    "tie_types": N_("Répartition des liens selon leur nature : information, orientation, "
                    "projet commun, moyens, financement, partenariat."),
    "average_trust": N_("Moyenne des notes de confiance (de 1 à 4) données aux liens évalués."),
    "average_value": N_("Moyenne des notes de valeur (de 1 à 4) données aux liens évalués."),
    "rated_ties": N_("Nombre de liens qui ont reçu au moins une note de confiance ou de valeur."),
    "degree": N_("Nombre d'acteurs différents avec qui cet acteur coopère."),
    "in_degree": N_("Nombre d'acteurs qui ont un lien tourné vers cet acteur (un lien dans "
                    "les deux sens compte aussi)."),
    "out_degree": N_("Nombre d'acteurs vers qui cet acteur a un lien (un lien dans les deux "
                     "sens compte aussi)."),
    "strength": N_("Somme des forces de tous ses liens : un acteur peu relié mais avec des "
                   "liens forts peut peser autant qu'un acteur très relié."),
    "betweenness": N_("Part des plus courts chemins entre les autres acteurs qui passent par "
                      "cet acteur : un score élevé signale un passeur, dont le départ "
                      "couperait ou rallongerait des circuits."),
    "closeness": N_("Facilité avec laquelle cet acteur peut joindre tous les autres en peu "
                    "d'intermédiaires ; elle baisse s'il est dans un petit morceau à l'écart."),
    "eigenvector": N_("Un acteur est influent s'il coopère avec des acteurs eux-mêmes bien "
                      "reliés ; 1 pour le plus influent, 0 pour un acteur sans lien."),
    "core": N_("Plus le numéro est élevé, plus l'acteur fait partie d'un cœur d'acteurs qui "
               "coopèrent tous beaucoup entre eux."),
    "community": N_("Groupe d'acteurs qui coopèrent davantage entre eux qu'avec le reste du "
                    "réseau, repéré automatiquement à partir des liens."),
    "brokers": N_("Acteurs par qui passent le plus de chemins entre les autres : ils font le "
                  "pont entre des groupes qui sinon se parlent peu."),
    "margin": N_("Acteurs sans lien ou avec un seul partenaire, qui risquent de rester en "
                 "dehors de la dynamique collective."),
    "betweenness_sampled": N_("Sur une très grande carte, l'intermédiarité et la proximité "
                              "sont estimées à partir d'un échantillon d'acteurs tirés au "
                              "sort : les valeurs sont donc approchées."),
}
EXPLANATIONS.update({
    "modularity": N_("Dit si les groupes trouvés sont vraiment des groupes : c'est la part des "
                     "liens qui restent à l'intérieur des groupes, moins celle qu'on aurait si "
                     "les mêmes acteurs se reliaient au hasard. Vers 0, pas de groupes nets ; "
                     "au-dessus de 0,3, le réseau est fait de groupes qui coopèrent surtout "
                     "entre eux."),
    "communities_method": N_("Les groupes sont cherchés plusieurs fois, avec des points de départ "
                             "différents mais toujours les mêmes, et on garde le découpage dont "
                             "la modularité est la plus haute : la même carte donne toujours les "
                             "mêmes groupes."),
    "transitivity": N_("Parmi les acteurs qui ont deux partenaires, part des cas où ces deux "
                       "partenaires coopèrent aussi entre eux : plus elle est haute, plus les "
                       "partenaires d'un acteur se connaissent déjà."),
    "average_path_length": N_("Nombre moyen de liens à suivre pour aller d'un acteur à un autre "
                              "dans le plus grand morceau du réseau : 1 si tous coopèrent "
                              "directement, davantage s'il faut passer par des intermédiaires."),
    "diameter": N_("Le plus long des plus courts chemins dans le plus grand morceau : le nombre "
                   "de liens qui séparent les deux acteurs les plus éloignés."),
    "ei_index": N_("Compare les paires de partenaires de types différents (E) et de même type "
                   "(I) : (E − I) / (E + I). −1 si chacun ne coopère qu'avec son propre type, "
                   "+1 si toutes les coopérations relient des types différents."),
    "type_density": N_("Pour chaque couple de types d'acteurs, part des paires possibles entre "
                       "eux qui coopèrent vraiment : on voit quels secteurs travaillent "
                       "ensemble et lesquels restent chacun de leur côté."),
    "trust_score": N_("Moyenne des notes de confiance des liens évalués, rapportée à la note "
                      "la plus haute (4 = 100 %), comme dans les enquêtes PARTNER."),
    "value_score": N_("Moyenne des notes de valeur des liens évalués, rapportée à la note la "
                      "plus haute (4 = 100 %), comme dans les enquêtes PARTNER."),
    "constraint": N_("Dit à quel point les partenaires d'un acteur sont liés entre eux et à "
                     "lui seul : haute, il dépend d'un petit cercle fermé ; basse, il relie des "
                     "partenaires qui ne se connaissent pas et garde des marges de manœuvre."),
    "trust": N_("Moyenne des notes de confiance (de 1 à 4) des liens de cet acteur."),
    "value": N_("Moyenne des notes de valeur (de 1 à 4) des liens de cet acteur."),
    "broker_rule": N_("Un acteur est compté comme passeur si au moins deux fois plus de plus "
                      "courts chemins passent par lui qu'en moyenne par les acteurs reliés de "
                      "cette carte ; les cinq premiers sont montrés. Le seuil suit la taille de "
                      "la carte : sur une grande carte, chaque part est petite, mais les "
                      "passeurs se détachent toujours de la moyenne."),
    "exact": N_("Toutes les valeurs sont calculées exactement, sur tous les acteurs, quelle que "
                "soit la taille de la carte."),
})
